int cfl_placeholder(void);
