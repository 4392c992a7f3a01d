"""Printing shared by the domains: QR codes (`qr`), fonts (`fonts`) and PDF documents (`pdf`).

Like `core`, it knows no domain and not the API: traceability's label sheets and credit's report call
it, and nothing here calls them.
"""
