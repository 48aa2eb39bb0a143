int syn_right(void) { return 1; }
