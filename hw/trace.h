#include "trace/trace-odp_hca_hw.h"
