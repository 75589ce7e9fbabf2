#include "CLuaGlue.h"
