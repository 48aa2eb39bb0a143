int kiln_sig_twice(int x) { return 2 * x; }
