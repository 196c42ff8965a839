from pathlib import Path

from django.urls import include, path

from voice import views

app_name = "voice"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("starter/", views.starter_install, name="starter_install"),
    path("themes/<int:pk>/", views.theme_detail, name="theme_detail"),
    path("comments/", views.comment_list, name="comment_list"),
    path("taxonomy/", views.taxonomy_page, name="taxonomy"),
    path("taxonomy/new/", views.theme_create, name="theme_create"),
    path("taxonomy/<int:pk>/edit/", views.theme_edit, name="theme_edit"),
    path("taxonomy/<int:pk>/archive/", views.theme_archive, name="theme_archive"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/discover/", views.discovery_start, name="discovery_start"),
    path("proposals/<int:pk>/accept/", views.proposal_accept, name="proposal_accept"),
    path("proposals/<int:pk>/merge/", views.proposal_merge, name="proposal_merge"),
    path("proposals/<int:pk>/reject/", views.proposal_reject, name="proposal_reject"),
    path("runs/<int:pk>/", views.run_progress, name="run_progress"),
]

# The case side (suggested root cause, case themes) lives in its own module, owned by the alert-rule/case work.
if (Path(__file__).parent / "case_urls.py").exists():
    urlpatterns.append(path("", include("voice.case_urls")))
