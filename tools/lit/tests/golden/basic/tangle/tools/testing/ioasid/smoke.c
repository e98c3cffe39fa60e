#line 71 "in/uapi.adoc"
/*
 * SPDX-License-Identifier: GPL-2.0
 */
#include <stdio.h>

int main(void)
{
#line 84 "in/uapi.adoc"
	puts("ioasid << smoke >> test");
	return 0;
#line 79 "in/uapi.adoc"
}
