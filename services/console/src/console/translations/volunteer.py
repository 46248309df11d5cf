"""English texts of the volunteer's pages."""

EN: dict[str, str] = {
    "Moje wolontariaty": "My volunteering",
    "Dzień dobry, {name}!": "Hello, {name}!",
    "Propozycje dla mnie": "Proposals for me",
    "Odpowiedz do: {when}": "Answer by: {when}",
    "Przyjmij": "Accept",
    "Odrzuć": "Decline",
    "Przyjmij propozycję: {title}": "Accept the proposal: {title}",
    "Odrzuć propozycję: {title}": "Decline the proposal: {title}",
    "Nie masz propozycji czekających na odpowiedź.": "You have no proposals awaiting an answer.",
    "Wcześniejsze propozycje": "Earlier proposals",
    "Zadanie": "Task",
    "Termin": "When",
    "Stan": "Status",
    "Moje dyżury": "My shifts",
    "Dyżury, na które jestem zapisany": "Shifts I am signed up for",
    "Nie masz jeszcze dyżurów.": "You have no shifts yet.",
    "Moje godziny": "My hours",
    "Zatwierdzone godziny razem: {hours}": "Approved hours in total: {hours}",
    "Zgłoszone godziny": "Logged hours",
    "Dzień": "Day",
    "Oddział": "Branch",
    "Godziny": "Hours",
    "Zaświadczenie": "Certificate",
    "Zaświadczenie z oddziału {branch}: {hours} godz. ({start} – {end}).": (
        "Certificate from branch {branch}: {hours} hours ({start} – {end})."
    ),
    "Pobierz zaświadczenie (PDF)": "Download the certificate (PDF)",
    "Oddział, z którego chcesz zaświadczenie": "Branch to certify your volunteering",
    "Poproś o zaświadczenie": "Request a certificate",
    "Zaświadczenie o wolontariacie możesz pobrać, gdy koordynator zatwierdzi Twoje godziny. "
    "Możesz też poprosić o nie koordynatora w bibliotece.": (
        "You can download a volunteering certificate once the coordinator has approved your "
        "hours. You may also ask the coordinator at the library for one."
    ),
    "Mój kalendarz": "My calendar",
    "Dodaj swoje dyżury do kalendarza w telefonie lub komputerze: skopiuj link i dodaj go "
    "jako subskrypcję kalendarza (iCal).": (
        "Add your shifts to the calendar on your phone or computer: copy the link and add it "
        "as a calendar subscription (iCal)."
    ),
    "Link do kalendarza (iCal)": "Calendar link (iCal)",
    "Kopiuj link": "Copy the link",
    "Skopiowano": "Copied",
    "Nie udostępniaj tego linku innym: pokazuje Twoje dyżury.": (
        "Do not share this link: it shows your shifts."
    ),
    "Utwórz link do kalendarza": "Create a calendar link",
    "Utwórz nowy link do kalendarza": "Create a new calendar link",
    # statuses
    "czeka na Twoją odpowiedź": "awaiting your answer",
    "przyjęta": "accepted",
    "odrzucona": "declined",
    "wygasła": "expired",
    "potwierdzony": "confirmed",
    "odwołany": "cancelled",
    "odbyty": "done",
    "nieobecność": "absent",
    "czekają na zatwierdzenie": "awaiting approval",
    "zatwierdzone": "approved",
    "odrzucone": "rejected",
    # messages
    "Nie udało się przyjąć propozycji.": "The proposal could not be accepted.",
    "Dziękujemy! Propozycja przyjęta — dyżur jest na liście.": (
        "Thank you! Proposal accepted — the shift is on your list."
    ),
    "Nie udało się odrzucić propozycji.": "The proposal could not be declined.",
    "Propozycja odrzucona.": "Proposal declined.",
    "Nie udało się wystawić zaświadczenia.": "The certificate could not be issued.",
    "Zaświadczenie jest gotowe do pobrania.": "The certificate is ready to download.",
    "Nowy link do kalendarza jest gotowy. Poprzedni przestał działać.": (
        "The new calendar link is ready. The previous one no longer works."
    ),
    "Te strony są dla wolontariuszy, otwierane linkiem z wiadomości.": (
        "These pages are for volunteers, opened with the link in a message."
    ),
    # links and sessions
    "Ten link jest nieważny albo wygasł. Otwórz link z najnowszej wiadomości od programu "
    "albo poproś koordynatora w bibliotece o nowy.": (
        "This link is invalid or has expired. Open the link in the programme's latest message "
        "or ask the coordinator at the library for a new one."
    ),
    "Link jest nieważny": "The link is not valid",
    "Link wygasł.": "The link has expired.",
    "Ten link został już użyty: każdy link otwiera Twoje strony jeden raz.": (
        "This link has been used already: each link opens your pages once."
    ),
    "Otwórz link z wiadomości": "Open the link from your message",
    "Strona wolontariusza otwiera się linkiem z wiadomości od programu. Dla bezpieczeństwa "
    "jest otwarta tylko przez pewien czas: jeśli wygasła, otwórz link ponownie.": (
        "The volunteer page opens with the link in the programme's message. For your safety "
        "it stays open for a limited time only: if it has expired, open the link again."
    ),
    "Nie masz już tej wiadomości? Poproś koordynatora w bibliotece o nowy link.": (
        "No longer have the message? Ask the coordinator at the library for a new link."
    ),
    # answering a proposal from a message
    "Propozycja wolontariatu": "Volunteering proposal",
    "Potwierdź, że chcesz przyjąć tę propozycję. Po potwierdzeniu miejsce jest Twoje, jeśli "
    "jest jeszcze wolne.": (
        "Confirm that you want to accept this proposal. Once confirmed, the place is yours if "
        "it is still free."
    ),
    "Potwierdź, że chcesz odrzucić tę propozycję.": (
        "Confirm that you want to decline this proposal."
    ),
    "Potwierdzam: przyjmuję propozycję": "I confirm: I accept the proposal",
    "Potwierdzam: odrzucam propozycję": "I confirm: I decline the proposal",
    "Dziękujemy! Propozycja przyjęta. Szczegóły dyżuru dostaniesz w wiadomości.": (
        "Thank you! Proposal accepted. You will get the shift's details in a message."
    ),
    "Propozycja odrzucona. Dziękujemy za odpowiedź.": "Proposal declined. Thank you for answering.",
    "Ten link jest nieważny albo wygasł. Odpowiedz z najnowszej wiadomości albo skontaktuj "
    "się z koordynatorem w bibliotece.": (
        "This link is invalid or has expired. Answer from the latest message or contact the "
        "coordinator at the library."
    ),
    "Nie ma takiej propozycji.": "There is no such proposal.",
    "Na tę propozycję już odpowiedziano albo nie można jej już przyjąć.": (
        "This proposal has already been answered or can no longer be accepted."
    ),
}
