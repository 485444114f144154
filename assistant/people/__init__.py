"""People whom applications are about: their saved profile and the prefill keys that services may use."""
