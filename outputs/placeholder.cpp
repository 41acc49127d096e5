// placeholder until the sinks land
