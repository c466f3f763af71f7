"""Entry point: app-wide settings and navigation over the pages.

`streamlit run app.py` finds `app` below and serves it (Streamlit's ASGI
app), then runs this file as the script of each session (as "__main__").
"""

import streamlit as st
from starlette.middleware import Middleware

from playground.ui.deep_paths import OnePageDeep

app = st.App(__file__, middleware=[Middleware(OnePageDeep)])

if __name__ == "__main__":
    from playground.ui import shell

    shell.run()
