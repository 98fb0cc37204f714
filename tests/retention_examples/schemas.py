"""The own systems of the five example companies, small but as such software builds them.

One :class:`MetaData` per company (``SCHEMAS``), built the same way on SQLite, PostgreSQL
and MariaDB, with the foreign keys such software declares (and the ones it does not):

- JENSDEV (BE, web development, hosting and domains): the website's contact-form history,
  customers with the end of their contract, their hosting accounts (cancelled or not) and
  the mailboxes on them, invoices under the Belgian 10-year hold and their lines;
- JSM (BE, telecom installation): customers with their last login, contracts (installations
  with a maintenance subscription), webshop orders, helpdesk tickets, the newsletter;
- Jetstax (BE, managed hosting): customers and the usage events of their services, counted
  into monthly statistics;
- JixawStudio (NL, web solutions): customers with the end of their contract, invoices under
  the Dutch 7-year fiscal hold, the control panel's login history, server logs, the shared
  inbox where unsolicited messages arrive;
- Sendtex (BE, e-mail marketing SaaS): accounts that can be deleted in the application, their
  mailing lists, contacts, campaigns and campaign statistics; the website's contact requests
  and page visits; job applicants and their documents.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=False)


# --------------------------------------------------------------------------- JENSDEV

jensdev = MetaData()

contact_submissions = Table(  # the website's contact-form database (e.g. Flamingo)
    "contact_submissions",
    jensdev,
    _id(),
    Column("name", String(100), nullable=False),
    Column("email", String(190), nullable=False),
    Column("message", Text, nullable=False),
    Column("submitted_at", DateTime, nullable=False, index=True),
)

jensdev_customers = Table(
    "customers",
    jensdev,
    _id(),
    Column("customer_number", String(20), nullable=False, unique=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("company", String(100)),
    Column("vat", String(20)),
    Column("address", String(200)),
    Column("phone", String(40)),
    Column("created_at", DateTime, nullable=False),
    Column("contract_ended_on", Date),  # NULL while the customer has a contract
)

jensdev_hosting = Table(
    "hosting_accounts",
    jensdev,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),  # NO ACTION
    Column("domain", String(200), nullable=False),
    Column("username", String(32), nullable=False, unique=True),
    Column("disk_mb", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("cancelled_at", DateTime),  # the cancellation: 14 days later everything goes
    Column("deletion_approved_at", DateTime),  # the customer approved the deletion: at once
)

jensdev_mailboxes = Table(
    "mailboxes",
    jensdev,
    _id(),
    Column(
        "hosting_account_id",
        Integer,
        ForeignKey("hosting_accounts.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("address", String(190), nullable=False),
    Column("forward_to", String(190)),
    Column("used_mb", Integer, nullable=False),
)

jensdev_invoices = Table(
    "invoices",
    jensdev,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_vat", String(20)),
    Column("buyer_address", String(200)),
    Column("buyer_email", String(190)),
    Column("total", Numeric(10, 2), nullable=False),
)

jensdev_invoice_lines = Table(
    "invoice_lines",
    jensdev,
    _id(),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("description", String(200), nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
)

# --------------------------------------------------------------------------- JSM

jsm = MetaData()

jsm_customers = Table(
    "customers",
    jsm,
    _id(),
    Column("email", String(190), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("gender", String(1)),
    Column("language", String(2), nullable=False),
    Column("phone", String(40)),
    Column("address", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),  # NULL: never logged in to the customer portal
)

jsm_contracts = Table(  # an installation with its maintenance / telecom subscription
    "contracts",
    jsm,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("product", String(100), nullable=False),
    Column("installation_address", String(200), nullable=False),
    Column("iban", String(34)),
    Column("started_on", Date, nullable=False),
    Column("last_billed_on", Date),
    Column("ended_on", Date),  # NULL while the contract runs
)

jsm_orders = Table(  # webshop orders of equipment
    "orders",
    jsm,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("product", String(100), nullable=False),
    Column("delivery_address", String(200), nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("ordered_at", DateTime, nullable=False),
)

jsm_tickets = Table(  # the helpdesk: a customer id without a foreign key, or a guest's e-mail
    "tickets",
    jsm,
    _id(),
    Column("customer_id", Integer),
    Column("email", String(190)),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

jsm_newsletter = Table(
    "newsletter",
    jsm,
    _id(),
    Column("email", String(190), nullable=False, unique=True),
    Column("subscribed_at", DateTime, nullable=False),
    Column("last_click_at", DateTime),
)

# --------------------------------------------------------------------------- Jetstax

jetstax = MetaData()

jetstax_customers = Table(
    "customers",
    jetstax,
    _id(),
    Column("customer_number", String(20), nullable=False, unique=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("phone", String(40)),
    Column("address", String(200)),
    Column("created_at", DateTime, nullable=False),
)

jetstax_usage = Table(  # what customers do with their services, from the control panel and API
    "usage_events",
    jetstax,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(40), nullable=False),  # vps, backup, dns, mail
    Column("action", String(40), nullable=False),  # login, api_call, reboot, restore
    Column("detail", String(200)),  # e.g. the server's name
    Column("occurred_at", DateTime, nullable=False, index=True),
)

# --------------------------------------------------------------------------- JixawStudio

jixawstudio = MetaData()

jixaw_customers = Table(
    "customers",
    jixawstudio,
    _id(),
    Column("customer_number", String(20), nullable=False, unique=True),
    Column("email", String(190), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("company", String(100)),
    Column("address", String(200)),
    Column("iban", String(34)),
    Column("password_hash", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("contract_ended_on", Date),
)

jixaw_invoices = Table(
    "invoices",
    jixawstudio,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("invoice_date", Date, nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", String(200)),
    Column("iban", String(34)),
    Column("email", String(190)),
    Column("total", Numeric(10, 2), nullable=False),
)

jixaw_logins = Table(  # "from which IP address your account was logged in to"
    "login_history",
    jixawstudio,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("ip", String(45), nullable=False),
    Column("logged_in_at", DateTime, nullable=False),
)

jixaw_server_logs = Table(  # the web servers' access logs, shipped to a table; no foreign key
    "server_logs",
    jixawstudio,
    _id(),
    Column("customer_id", Integer),  # the logged-in customer, if any
    Column("ip", String(45), nullable=False),
    Column("user_agent", String(300)),
    Column("path", String(300), nullable=False),
    Column("logged_at", DateTime, nullable=False, index=True),
)

jixaw_inbox = Table(  # the shared inbox: e-mail, social media messages, ticket attachments
    "inbox_messages",
    jixawstudio,
    _id(),
    Column("channel", String(20), nullable=False),
    Column("sender_email", String(190)),
    Column("sender_name", String(100)),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),  # open, answered, dismissed
    Column("received_at", DateTime, nullable=False),
)

# --------------------------------------------------------------------------- Sendtex

sendtex = MetaData()

sendtex_accounts = Table(
    "accounts",
    sendtex,
    _id(),
    Column("email", String(190), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("company", String(100)),
    Column("vat", String(20)),
    Column("address", String(200)),
    Column("phone", String(40)),
    Column("signup_ip", String(45)),
    Column("created_at", DateTime, nullable=False),
    Column("deletion_confirmed_at", DateTime),  # the confirmed deletion of the account
)

sendtex_lists = Table(
    "mailing_lists",
    sendtex,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
)

sendtex_contacts = Table(
    "list_contacts",
    sendtex,
    _id(),
    Column("list_id", Integer, ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(190), nullable=False),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("custom_fields", JSON),
    Column("subscribed_at", DateTime, nullable=False),
)

sendtex_campaigns = Table(
    "campaigns",
    sendtex,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),  # NO ACTION
    Column("subject", String(200), nullable=False),
    Column("html_body", Text, nullable=False),
    Column("sent_at", DateTime),
)

sendtex_stats = Table(  # per recipient: opened, clicked
    "campaign_stats",
    sendtex,
    _id(),
    Column("campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Integer, ForeignKey("list_contacts.id", ondelete="SET NULL")),
    Column("opened_at", DateTime),
    Column("clicks", Integer, nullable=False),
)

sendtex_requests = Table(  # the website's contact form
    "contact_requests",
    sendtex,
    _id(),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(190), nullable=False),
    Column("phone", String(40)),
    Column("company", String(100)),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

sendtex_visits = Table(  # the application's and website's own analytics; no foreign key
    "page_visits",
    sendtex,
    _id(),
    Column("account_id", Integer),  # the logged-in account, if any
    Column("ip_anonymised", String(45), nullable=False),  # 192.0.2.0: the last byte dropped
    Column("browser", String(100)),
    Column("cookie_id", String(64)),
    Column("page", String(200), nullable=False),
    Column("visited_at", DateTime, nullable=False, index=True),
)

sendtex_applicants = Table(
    "applicants",
    sendtex,
    _id(),
    Column("name", String(100), nullable=False),
    Column("email", String(190), nullable=False),
    Column("phone", String(40)),
    Column("family_situation", String(200)),
    Column("interests", String(300)),
    Column("education", String(300)),
    Column("current_job", String(200)),
    Column("status", String(20), nullable=False),  # open, hired, rejected, withdrawn
    Column("applied_at", DateTime, nullable=False),
    Column("closed_at", DateTime),  # the end of the procedure
)

sendtex_documents = Table(
    "applicant_documents",
    sendtex,
    _id(),
    Column("applicant_id", Integer, ForeignKey("applicants.id"), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content", Text, nullable=False),
)

SCHEMAS: dict[str, MetaData] = {
    "jensdev": jensdev,
    "jetstax": jetstax,
    "jixawstudio": jixawstudio,
    "jsm": jsm,
    "sendtex": sendtex,
}


def build(url: str, company: str) -> None:
    """An empty database at ``url`` with the company's tables (whatever was there, dropped)."""
    drop_everything(url)
    engine = create_engine(url)
    try:
        SCHEMAS[company].create_all(engine)
    finally:
        engine.dispose()


def drop_everything(url: str) -> None:
    """Drop every table of the database at ``url`` (statistics tables a sweep made too)."""
    engine = create_engine(url)
    try:
        existing = MetaData()
        existing.reflect(engine)
        existing.drop_all(engine)
    finally:
        engine.dispose()
