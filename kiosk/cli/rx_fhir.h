/*
 * A prescription as a FHIR R4 MedicationRequest (issue 14): the required
 * elements (resourceType, status, intent, medication[x], subject) and
 * those a teleconsult order needs (identifier, authoredOn, requester
 * with the registration number, encounter, dosageInstruction with
 * timing, route and doseAndRate, dispenseRequest's duration, note).
 */
#ifndef KIOSK_CLI_RX_FHIR_H
#define KIOSK_CLI_RX_FHIR_H

#include <jansson.h>

struct store_rx;

/* The resource of order X (the caller's reference), NULL when X is not
 * an order. */
json_t *rx_fhir_medication_request(const struct store_rx *x);

#endif
