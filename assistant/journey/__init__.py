"""The step engine: a service's steps as forms, and the journey of one application through them."""
from .flow import Journey
from .forms import Answer, build_form, fingerprint, formdata_for

__all__ = ["Answer", "Journey", "build_form", "fingerprint", "formdata_for"]
