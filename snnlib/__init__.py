"""snnlib: the spiking-neural-network toolkit behind the snn-companion book."""

__version__ = "0.1.0"
