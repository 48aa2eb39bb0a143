int syn_left(void) { return 1; }
