"""Each vertical's own tests and factories, one folder per vertical."""
