"""Each real gateway against its fake: ArCa, Ameriabank, Idram, Telcell."""
