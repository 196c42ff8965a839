from django.urls import include, path

from surveys.builder import views as builder
from surveys.distribution import views as distribution

app_name = "surveys"

urlpatterns = [
    # Builder (surveys.builder).
    path("", builder.survey_list, name="survey_list"),
    path("new/", builder.survey_create, name="survey_create"),
    path("<int:pk>/", builder.survey_detail, name="survey_detail"),
    path("<int:pk>/settings/", builder.survey_edit, name="survey_edit"),
    path("<int:pk>/preview/", builder.survey_preview, name="survey_preview"),
    path("<int:pk>/publish/", builder.survey_publish, name="survey_publish"),
    path("<int:pk>/discard-draft/", builder.survey_discard_draft, name="survey_discard_draft"),
    path("<int:pk>/archive/", builder.survey_archive, name="survey_archive"),
    path("<int:pk>/questions/add/", builder.question_add, name="question_add"),
    path("<int:pk>/questions/template/<slug:preset>/", builder.question_preset, name="question_preset"),
    path("<int:pk>/questions/<slug:code>/edit/", builder.question_edit, name="question_edit"),
    path("<int:pk>/questions/<slug:code>/delete/", builder.question_delete, name="question_delete"),
    path("<int:pk>/questions/<slug:code>/move/<str:direction>/", builder.question_move, name="question_move"),
    # Distribution (surveys.distribution).
    path("<int:pk>/links/", distribution.survey_links, name="survey_links"),
    path("<int:pk>/links/new/", distribution.link_create, name="link_create"),
    path("<int:pk>/links/<int:link_pk>/revoke/", distribution.link_revoke, name="link_revoke"),
    path("<int:pk>/links/<int:link_pk>/qr.<str:fmt>", distribution.link_qr, name="link_qr"),
    path("<int:pk>/invitations/", distribution.invitation_list, name="invitation_list"),
    path("contact-decisions/", distribution.contact_decision_list, name="contact_decision_list"),
    path(
        "contact-decisions/customer/<int:customer_pk>/",
        distribution.customer_contact_decisions,
        name="customer_contact_decisions",
    ),
    # Response explorer (surveys.explorer) and response imports (surveys.ingestion).
    path("responses/", include("surveys.explorer.urls")),
    path("responses/", include("surveys.ingestion.urls")),
]
