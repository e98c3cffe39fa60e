/*
 * SPDX-License-Identifier: GPL-2.0
 */
#include <stdio.h>

int main(void)
{
	puts("ioasid << smoke >> test");
	return 0;
}
