"""Who may do what: accounts (users file with bcrypt hashes), roles, sign-in rate limiting, job slots and the audit
log. Pure core: no streamlit (the app's sign-in gate is ``app_support/auth.py``); docs/security.md."""
