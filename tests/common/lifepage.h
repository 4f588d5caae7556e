/*
 * The scripted lifecycle pages of tests/data/fleet (life_N.html, one
 * Yamato number each) made simulator templates: every mention of their
 * number (4001-2345-6784) becomes @NUMBER_DASHED@, so one page answers any
 * number (the route's `template` option).  For the fleet tests and
 * benchmarks.
 */
#ifndef TSK_TEST_LIFEPAGE_H
#define TSK_TEST_LIFEPAGE_H

/* Copy $TSK_TEST_DATA/fleet/<name> to dst as a template.  0, or -1 (the
 * reason on stderr). */
int tsk_life_page(const char *name, const char *dst);

#endif
