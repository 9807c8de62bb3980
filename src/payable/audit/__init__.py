"""The audit log: refused actions leave this trace and no other."""
