int syn_top(void) { return 1; }
