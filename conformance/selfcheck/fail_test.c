// SPDX-License-Identifier: GPL-2.0
/*
 * A test program with one passing and one deliberately failing assertion.
 * The self-check of the conformance run expects the run to report exactly
 * this failure and to fail as a whole.
 */
#include "kselftest_harness.h"

TEST(passes)
{
	ASSERT_EQ(2, 1 + 1);
}

TEST(fails_on_purpose)
{
	ASSERT_EQ(3, 1 + 1);
}

TEST_HARNESS_MAIN
