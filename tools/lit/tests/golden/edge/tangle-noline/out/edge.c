// SPDX-License-Identifier: GPL-2.0
int foo_bar;
int foo_dash_bar;
int backslash; // <1> is not a callout here
int ref_only;
int both;
/* reference-only tail */
