"""Where a call's cost goes: scenarios that isolate one layer each, and the breakdown."""
