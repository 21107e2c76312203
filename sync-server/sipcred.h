/*
 * SIP credentials for the region's Kamailio (sync-server/kamailio/).
 * The server issues each node a SIP user ("n" + node id) and a random
 * password at enrolment (the password goes to the node once, in the
 * enrolment answer, and is never stored here), and keeps only
 * HA1 = MD5(user:realm:password) in DATA/sip/subscriber, the db_text table
 * Kamailio's auth_db reads (re-read on change: db_text db_mode 1).
 * `admin revoke` removes the node's line, so its next REGISTER or INVITE
 * is refused.  SIP is on when DATA/sip/registrar holds the "host:port"
 * nodes register with (`admin sip-setup HOST:PORT`); the realm is its host.
 *
 * The file is replaced atomically (fileio_write_atomic) under an flock on
 * DATA/sip/.lock, so the running server and an admin command never lose
 * each other's line.
 *
 * Errors: ENOENT (SIP not set up), EINVAL (bad registrar), EIO/ENOSPC/
 * EROFS (the file could not be written; nothing changed).
 */
#ifndef SIPCRED_H
#define SIPCRED_H

#include <stdint.h>
#include <stdio.h>

struct sipcred {
	char user[32];
	char password[48]; /* wipe after use */
	char registrar[128]; /* host:port */
	char turn[128]; /* host:port of the region's TURN relay; "": none */
};

/* Turn SIP on: write DATA/sip/registrar, DATA/sip/turn (TURN, "host:port"
 * of the region's coturn; NULL: none, the file is removed) and an empty
 * table. */
int sipcred_setup(
    const char *data_dir, const char *registrar, const char *turn);
/* Issue NODE's credentials (replacing earlier ones) into *C. */
int sipcred_issue(const char *data_dir, uint64_t node, struct sipcred *c);
/* Withdraw NODE's credentials; 0 also when it had none or SIP is off. */
int sipcred_withdraw(const char *data_dir, uint64_t node);
/* Write coturn's long-term users for the table to OUT: "user=nID:0xHA1"
 * per line (coturn's key is the same HA1 when its realm is the SIP realm,
 * docs/OPERATIONS.md). */
int sipcred_coturn_users(const char *data_dir, FILE *out);

#endif
