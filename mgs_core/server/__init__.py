"""ZeroMQ inference server: the paper's client-server split (protocol, server loop, CURVE keys, load test)."""
