"""English texts of the city office pages (/miasto), keyed by the Polish source text."""

EN: dict[str, str] = {
    # navigation and start
    "Strony urzędu miasta": "City office pages",
    "Start urzędu": "City office home",
    "Edycje programu": "Programme editions",
    "Oddziały i import CSV": "Branches and CSV import",
    "Raporty i eksporty": "Reports and exports",
    "Program w mieście": "City programme",
    "Program w liczbach": "The programme in figures",
    "Wszystkie edycje razem": "All editions together",
    "Edycje": "Editions",
    "Nie ma jeszcze żadnej edycji.": "There is no edition yet.",
    "Utwórz pierwszą edycję": "Create the first edition",
    # editions
    "Edycje programu, od najnowszej": "Programme editions, latest first",
    "Edycja": "Edition",
    "Rok": "Year",
    "Rodzaj instytucji": "Institution type",
    "Okres": "Period",
    "Stan": "Status",
    "Działania": "Actions",
    "Otwórz edycję": "Open edition",
    "Zamknij edycję": "Close edition",
    "Nowa edycja": "New edition",
    "Nazwa edycji": "Edition name",
    "Np. Edycja 2027.": "E.g. Edition 2027.",
    "Początek": "Start",
    "Koniec": "End",
    "Utwórz edycję": "Create edition",
    "Biblioteka": "Library",
    "Dom kultury": "Culture centre",
    "Dom opieki": "Care home",
    "planowana": "planned",
    "otwarta": "open",
    "zamknięta": "closed",
    # one edition
    "Pobierz raport edycji (PDF)": "Download the edition report (PDF)",
    "Oddziały w edycji": "Branches in the edition",
    "Oddziały zapisane do edycji, ich etap i trenerzy": (
        "Branches enrolled in the edition, their stage and trainers"
    ),
    "Oddział": "Branch",
    "Dzielnica": "District",
    "Dofinansowanie (zł)": "Funding (PLN)",
    "Etap": "Stage",
    "Trenerzy": "Trainers",
    "Przypisz trenera": "Assign trainer",
    "Trener dla oddziału": "Trainer for branch",
    "wycofany": "withdrawn",
    "Żaden oddział nie jest jeszcze zapisany do tej edycji.": (
        "No branch is enrolled in this edition yet."
    ),
    "Zapisz oddział": "Enrol a branch",
    "Zapisz oddział do edycji": "Enrol branch in the edition",
    "Np. 5000,00.": "E.g. 5000.00.",
    "Wszystkie oddziały są już zapisane.": "Every branch is already enrolled.",
    "Dodaj oddziały z pliku CSV": "Add branches from a CSV file",
    "Oddziały można zapisywać tylko do otwartej edycji.": (
        "Branches can be enrolled in an open edition only."
    ),
    # branches and import
    "Oddziały": "Branches",
    "Wynik importu": "Import result",
    "Nowe oddziały": "New branches",
    "Zmienione oddziały": "Changed branches",
    "Bez zmian": "Unchanged",
    "Wiersze z błędami": "Lines with errors",
    "Wiersze z błędami (nie zaimportowane)": "Lines with errors (not imported)",
    "Wiersz": "Line",
    "Kod": "Code",
    "Błędy": "Errors",
    "Import oddziałów z pliku CSV": "Importing branches from a CSV file",
    "Kolumny: code, name, district, address (wymagane); institution_type, opening_hours, "
    "volunteer_spaces, contact_name, contact_email, contact_phone. Oddziały o istniejącym "
    "kodzie są aktualizowane.": (
        "Columns: code, name, district, address (required); institution_type, opening_hours, "
        "volunteer_spaces, contact_name, contact_email, contact_phone. Branches with an "
        "existing code are updated."
    ),
    "Plik CSV": "CSV file",
    "Importuj oddziały z CSV": "Import branches from CSV",
    "Wszystkie oddziały": "All branches",
    "Oddziały według kodu": "Branches by code",
    "Nazwa": "Name",
    "Miejsca dla wolontariuszy": "Places for volunteers",
    "Brak oddziałów.": "No branches.",
    # reports
    "Raporty": "Reports",
    "Zakres raportu": "Report scope",
    "wszystkie edycje": "all editions",
    "Np. wola; puste: całe miasto.": "E.g. wola; empty: the whole city.",
    "Zestawienie według": "Breakdown by",
    "Okres w przebiegu": "Period of the time series",
    "Pokaż raport": "Show report",
    "Podsumowanie": "Summary",
    "Najważniejsze liczby dla wybranego zakresu": "Key figures for the chosen scope",
    "Oddziały zapisane": "Branches enrolled",
    "Wolontariusze zrekrutowani": "Volunteers recruited",
    "Wolontariusze aktywni": "Active volunteers",
    "Zatwierdzone godziny": "Approved hours",
    "godz.": "h",
    "Opublikowane zadania": "Tasks published",
    "Odwołane zadania": "Tasks cancelled",
    "Obsadzone zadania": "Tasks filled",
    "Obsadzenie": "Fill rate",
    "Nieobecności": "No-shows",
    "Udział osób niepełnoletnich": "Share of minors",
    "Zestawienie": "Breakdown",
    "Zatwierdzone godziny; te same liczby są w tabeli poniżej.": (
        "Approved hours; the same figures are in the table below."
    ),
    "Liczby według": "Figures by",
    "Brak danych dla wybranego zakresu.": "No data for the chosen scope.",
    "Przebieg w czasie": "Over time",
    "Zatwierdzone godziny w kolejnych okresach; te same liczby są w tabeli poniżej.": (
        "Approved hours per period; the same figures are in the table below."
    ),
    "Liczby w kolejnych okresach": "Figures per period",
    "Początek okresu": "Period start",
    "Brak danych w czasie dla wybranego zakresu.": "No data over time for the chosen scope.",
    "Eksporty": "Exports",
    "Pliki z wybranym zakresem raportu": "Files with the chosen report scope",
    "Widok": "View",
    "Pobierz": "Download",
    "Pobierz dane otwarte (CSV)": "Download the open data (CSV)",
    "Miesiąc": "Month",
    "Tydzień": "Week",
    "Powroty wolontariuszy": "Returning volunteers",
    "Etapy oddziałów": "Branch stages",
    "Monitoring": "Monitoring",
    # messages
    "Edycja utworzona (planowana). Otwórz ją, gdy zaczyna się nabór.": (
        "Edition created (planned). Open it when enrolment starts."
    ),
    "Nie utworzono edycji.": "The edition was not created.",
    "Edycja otwarta.": "Edition opened.",
    "Nie otwarto edycji.": "The edition was not opened.",
    "Edycja zamknięta.": "Edition closed.",
    "Nie zamknięto edycji.": "The edition was not closed.",
    "Oddział {code} zapisany do edycji.": "Branch {code} enrolled in the edition.",
    "Nie zapisano oddziału.": "The branch was not enrolled.",
    "Trener przypisany do oddziału.": "Trainer assigned to the branch.",
    "Nie przypisano trenera.": "The trainer was not assigned.",
    "Wybierz plik CSV z oddziałami.": "Choose a CSV file with branches.",
    "Plik jest większy niż 5 MB — podziel go na części.": (
        "The file is larger than 5 MB — split it into parts."
    ),
    "Nie zaimportowano pliku.": "The file was not imported.",
    "Import zakończony.": "Import finished.",
}
