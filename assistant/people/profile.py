"""The profile: recurring data of a person, and the ONE list of keys a service question may be prefilled from."""


def N_(text):
    """Mark a text for translation without translating it yet (profile labels are translated when shown)."""
    return text


# Each profile entry as a question; a service question with `prefill: <id>` takes its answer from here.
PROFILE = [
    {"id": "family_name", "type": "name", "label": N_("Family name"), "hint": N_("As written in your passport."),
     "autocomplete": "family-name"},
    {"id": "given_names", "type": "name", "label": N_("Given names"), "hint": N_("As written in your passport."),
     "autocomplete": "given-name"},
    {"id": "birth_name", "type": "name", "label": N_("Birth name"), "hint": N_("Only if it differs from your family name."),
     "autocomplete": "off"},
    {"id": "birth_date", "type": "date", "label": N_("Date of birth"),
     "hint": N_("For example 27.03.1985. If you do not know the day, enter only month.year."),
     "partial": True, "autocomplete": "bday", "checks": [{"before": "today"}, {"max_years_ago": 120}]},
    {"id": "birth_place", "type": "text", "label": N_("Place of birth")},
    {"id": "birth_country", "type": "country", "label": N_("Country of birth")},
    {"id": "nationality", "type": "nationality", "label": N_("Nationality")},
    {"id": "address", "type": "address", "label": N_("Address in Germany")},
    {"id": "phone", "type": "phone", "label": N_("Phone number"), "autocomplete": "tel"},
    {"id": "email", "type": "email", "label": N_("E-mail address"), "autocomplete": "email"},
    {"id": "passport_number", "type": "passport", "label": N_("Passport number")},
    {"id": "name_in_passport", "type": "name", "latin": True, "label": N_("Name in Latin letters, as in the passport"),
     "hint": N_("As in the lines with the < signs on the document, family name first, for example HADDAD LINA.")},
    {"id": "passport_country", "type": "nationality", "label": N_("Country that issued the passport")},
    {"id": "passport_expiry", "type": "date", "label": N_("Passport valid until"), "hint": N_("For example 27.03.2030."),
     "checks": [{"after": "today"}]},
    {"id": "file_number", "type": "file_number", "label": N_("File number at the immigration office"),
     "hint": N_("At the top of our letters, next to „Aktenzeichen“. Once we have confirmed it, we fill it in for you.")},
    {"id": "azr_number", "type": "azr_number", "label": N_("AZR number"),
     "hint": N_("The number of the Central Register of Foreigners, 12 digits.")},
]
COUNTRY_TYPES = {"country", "nationality"}  # a nationality list and a country list hold the same codes
PREFILL_TYPES = {p["id"]: COUNTRY_TYPES if p["type"] in COUNTRY_TYPES else {p["type"]} for p in PROFILE}
# What the packet's applicant block and the receipt's name take from the answers, by prefill key.
APPLICANT_KEYS = ("family_name", "given_names", "name_in_passport", "birth_date", "nationality", "email", "phone",
                  "passport_number", "file_number", "azr_number")
