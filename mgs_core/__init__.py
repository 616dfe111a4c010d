"""MGS Live core: Mouse Grimace Scale (orbital tightening) scoring from video. Never imports streamlit."""
__version__ = "0.1.0"
