"""The Streamlit layer: the only part of playground/ that imports streamlit."""
