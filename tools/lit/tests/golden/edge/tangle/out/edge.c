// SPDX-License-Identifier: GPL-2.0
#line 19 "in/edge.adoc"
int foo_bar;
#line 24 "in/edge.adoc"
int foo_dash_bar;
#line 31 "in/edge.adoc"
int backslash; // <1> is not a callout here
#line 37 "in/edge.adoc"
int ref_only;
#line 49 "in/edge.adoc"
int both;
#line 43 "in/edge.adoc"
/* reference-only tail */
