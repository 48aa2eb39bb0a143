#ifndef TALLY_H
#define TALLY_H
/* The sum of `count` numbers. */
long tally_sum(const long *numbers, int count);
/* The library's version, as a string. */
const char *tally_version(void);
#endif
