"""Streamlit-aware helpers for the MGS Live app (the only place besides app.py/pages that imports streamlit).

Pages stay thin: widgets -> mgs_core calls -> drawing. Pure helpers (paths) are importable without a Streamlit run.
"""
