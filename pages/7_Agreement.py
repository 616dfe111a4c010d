import streamlit as st
st.title("Agreement")
