/* Declared with another type than its definition in define.c. */
void kiln_sig_twice(void);
void kiln_sig_caller(void) { kiln_sig_twice(); }
