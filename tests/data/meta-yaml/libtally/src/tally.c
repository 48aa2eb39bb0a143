#include "tally.h"

long tally_sum(const long *numbers, int count) {
  long sum = 0;
  for (int i = 0; i < count; i++) {
    sum += numbers[i];
  }
  return sum;
}

const char *tally_version(void) { return "1.2.0"; }
