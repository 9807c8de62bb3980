"""Card-payment gateways behind one small interface (see ``base.Provider``)."""
