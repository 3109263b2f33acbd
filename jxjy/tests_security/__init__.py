"""One test per numbered requirement of security-requirements.md (`test_req_<N>_…`), one module per section."""
