"""How long a field may be: every length limit of the application, named once.

Forms (their ``Length`` validators), services (the checks that also guard the API), the
models (where a column is a ``String(N)`` of the same length) and the OpenAPI description
(``maxLength``/``minLength``) read these numbers, so they cannot drift apart. A limit on
a ``String`` column is also the column's length: changing it needs a migration.
"""

from __future__ import annotations

# --- A resident's request (intake form, request API, support_request columns) -------------

#: A postcode as typed, spaces and all; it is stored normalised in six characters.
POSTCODE_INPUT_MAX = 10
#: A house number with its addition ("12a", "12-3"); the column's length.
HOUSE_NUMBER_MAX = 12
#: Street and place, for a resident who does not know the postcode.
ADDRESS_MAX = 200
#: What is going on, in the resident's own words.
DESCRIPTION_MAX = 4000
AGE_MIN = 0
AGE_MAX = 120
#: The client's idempotency token of the request API.
SUBMISSION_TOKEN_MIN = 8
SUBMISSION_TOKEN_MAX = 64

# --- People (a resident's contact details, accounts, teams and partners) ------------------

#: A person's name: the resident's contact name, an account's name.
NAME_MAX = 200
#: An e-mail address (RFC 5321 allows at most 254 characters in a path).
EMAIL_MAX = 254
#: A phone number as typed, with spaces, dashes and a country code.
PHONE_MAX = 32
#: When it is safe to call or visit, as the resident says it ("weekdays 10 to 12").
SAFE_TIMES_MAX = 200
#: A code word the resident chooses for a request whose contact is not safe.
CODE_WORD_MIN = 4
CODE_WORD_MAX = 64

# --- Casework ----------------------------------------------------------------------------

#: A reason (decline, give back, withdraw, close, refer by hand), a contact moment's or an
#: outcome's short note, and the resident's feedback comment.
REASON_MAX = 2000
#: A note on a request.
NOTE_MAX = 4000
#: A question to the resident and the resident's answer.
MESSAGE_MAX = 4000
#: A standard reply's title and text.
REPLY_TITLE_MAX = 200
REPLY_BODY_MAX = 4000
#: A BSN as typed, with spaces or dots; it is stored as its nine digits.
BSN_INPUT_MAX = 20
#: The name of a saved queue filter.
SAVED_FILTER_NAME_MAX = 80

# --- Signing in and administration --------------------------------------------------------

PASSWORD_MAX = 200
#: A one-time or recovery code as typed.
CODE_MAX = 32
#: The account list's search box.
SEARCH_MAX = 100
