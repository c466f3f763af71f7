"""Entry point: app-wide settings and navigation over the pages."""

import streamlit as st

from playground.ui.text import t

st.set_page_config(page_title=t("app.title"), page_icon=":material/neurology:", layout="wide")

pages = [
    st.Page("pages/playground.py", title=t("page.playground"), icon=":material/scatter_plot:",
            default=True),
    st.Page("pages/images.py", title=t("page.images"), icon=":material/image:",
            url_path="images"),
    st.Page("pages/tables.py", title=t("page.tables"), icon=":material/table:",
            url_path="tables"),
]
st.navigation(pages).run()
