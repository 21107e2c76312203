/*
 * The server's emergency escalation (issue 16).  Today: signing a kiosk's
 * roster (emergency_admin.c).  To come: POST /v1/emergency, the incident
 * tables, the engine (escalate/) on the server side, the gateway SMS
 * adapter (escalate/README.md, "Not done yet").
 */
#ifndef SYNC_SERVER_EMERGENCY_H
#define SYNC_SERVER_EMERGENCY_H

/* `admin roster sign SPEC OUT` (ARGV[0] is "roster"): 0, 1 (failed, after
 * saying why) or 2 (usage). */
int admin_roster(const char *data_dir, int argc, char **argv);

#endif
