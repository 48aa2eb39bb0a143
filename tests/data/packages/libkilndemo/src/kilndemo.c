#include "kilndemo.h"
int kilndemo_answer(int x) { return 6 * x; }
