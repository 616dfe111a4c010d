"""MGS Live: the Streamlit app. Title, page navigation and the sidebar; each page lives in pages/.

Start it with ``./run app`` (or ``streamlit run app.py``).
"""
import streamlit as st

from app_support import auth, sidebar

st.set_page_config(page_title="MGS Live", page_icon=":material/visibility:", layout="wide")

PAGES = [
    st.Page("pages/0_Home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/1_ROIs.py", title="Regions of interest", icon=":material/crop_free:", url_path="rois"),
    st.Page("pages/2_Live.py", title="Live scoring", icon=":material/videocam:", url_path="live"),
    st.Page("pages/3_Batch.py", title="Batch scoring", icon=":material/video_library:", url_path="batch"),
    st.Page("pages/4_Curves.py", title="Score curves", icon=":material/show_chart:", url_path="curves"),
    st.Page("pages/5_Evaluate.py", title="Model evaluation", icon=":material/fact_check:", url_path="evaluate"),
    st.Page("pages/6_Label.py", title="Label your frames", icon=":material/ads_click:", url_path="label"),
    st.Page("pages/7_Agreement.py", title="Agreement", icon=":material/balance:", url_path="agreement"),
]

# loopback mode, or a signed-in user in shared mode; otherwise only the sign-in form (docs/security.md)
auth.gate()
if auth.role()[1] == auth.ADMIN:
    PAGES.append(st.Page("pages/8_Audit.py", title="Audit trail", icon=":material/policy:", url_path="audit"))
page = st.navigation(PAGES)
st.sidebar.title("MGS Live")
auth.sidebar_account()
sidebar.render()
page.run()
