#include "agent/user.h"
#include <gtest/gtest.h>
