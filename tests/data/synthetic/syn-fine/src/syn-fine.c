int syn_fine(void) { return 1; }
