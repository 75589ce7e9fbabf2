#include "CFaceLandmarks.h"
int cfl_placeholder(void) { return 0; }
