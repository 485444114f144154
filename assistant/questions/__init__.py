"""Question types: how each is read, checked, stored canonically and shown, and its WTForms field.

Every type has a class in this package and a template ``templates/fields/_<type>.html``.
"""
from .choice import Choice, YesNo
from .contact import Email, Phone
from .date import Date
from .identifiers import AzrNumber, FileNumber, Iban, Passport
from .number import Money, Number
from .place import STATELESS, UNCLEAR, UNKNOWN, Address, Country, Nationality  # noqa: F401 (the package's interface)
from .text import LongText, Name, Text

TYPES = {
    "text": Text(), "longtext": LongText(), "name": Name(), "date": Date(),
    "country": Country(), "nationality": Nationality(), "choice": Choice(), "yesno": YesNo(),
    "number": Number(), "money": Money(), "email": Email(), "phone": Phone(),
    "passport": Passport(), "iban": Iban(), "address": Address(), "file_number": FileNumber(), "azr_number": AzrNumber(),
}
LTR_TYPES = {"phone", "passport", "iban", "email", "file_number", "azr_number"}  # always written left to right, also inside RTL text


def init_app(app):
    """Template globals that field templates need: which types run left to right, and the country lists."""
    app.add_template_global(LTR_TYPES, "ltr_types")
    app.add_template_global(lambda type_name="country": TYPES[type_name].choices(), "country_choices")
