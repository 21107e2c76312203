/*
 * Bikram Sambat calendar data for to-bikram-sambat() (internal to forms/;
 * bikram_sambat.c cites its source).
 */
#ifndef FORMS_BIKRAM_SAMBAT_H
#define FORMS_BIKRAM_SAMBAT_H

extern const int bs_first_year, bs_nyears;
extern const unsigned char bs_month_days[][12];

#endif
