"""Signal receivers of the voice app (connected in VoiceConfig.ready)."""
