"""English texts of the layout, sign-in, errors and the messages every page shares."""

EN: dict[str, str] = {
    # layout
    "Wolontariat w bibliotekach": "Volunteering in libraries",
    "Przejdź do treści": "Skip to content",
    "Menu główne": "Main menu",
    "Wybór języka": "Language",
    "Wyloguj się": "Sign out",
    "Program rozwoju wolontariatu w bibliotekach m.st. Warszawy": (
        "The City of Warsaw's programme for volunteering in libraries"
    ),
    "Mój oddział": "My branch",
    "Moje oddziały": "My branches",
    "Program w mieście": "City programme",
    "Moje wolontariaty": "My volunteering",
    "Urząd miasta": "City office",
    "Trener": "Trainer",
    "Koordynator": "Coordinator",
    "Wolontariusz": "Volunteer",
    # sign-in
    "Witamy": "Welcome",
    "Konsola programu dla koordynatorów w bibliotekach, trenerów i urzędu miasta.": (
        "The programme's console for library coordinators, trainers and the city office."
    ),
    "Zaloguj się jako pracownik": "Sign in as staff",
    "Dla wolontariuszy": "For volunteers",
    "Wolontariusze nie potrzebują hasła: otwórz link z wiadomości, którą dostajesz od "
    "programu (e-mail lub SMS).": (
        "Volunteers need no password: open the link in the message the programme sends you "
        "(email or text message)."
    ),
    "Logowanie nie powiodło się": "Sign-in failed",
    "Nie udało się potwierdzić Twojej tożsamości. Spróbuj zalogować się jeszcze raz.": (
        "Your identity could not be confirmed. Please try signing in again."
    ),
    "Zaloguj się ponownie": "Sign in again",
    "Wylogowano": "Signed out",
    "Zostałeś wylogowany. Możesz zamknąć tę kartę.": "You are signed out. You may close this tab.",
    "Brak uprawnień": "No access rights",
    "Twoje konto nie ma żadnej roli w programie. Poproś urząd miasta o nadanie uprawnień.": (
        "Your account holds no role in the programme. Ask the city office for access."
    ),
    "Logowanie deweloperskie": "Development sign-in",
    "To logowanie działa tylko w środowisku deweloperskim. Wybierz użytkownika "
    "demonstracyjnego — hasło nie jest potrzebne.": (
        "This sign-in works in development only. Choose a demo user — no password is needed."
    ),
    "Zaloguj jako {name}": "Sign in as {name}",
    "oddziały": "branches",
    # errors
    "Nieprawidłowe dane": "Invalid data",
    "Wymagane logowanie": "Sign-in required",
    "Brak dostępu": "No access",
    "Nie ma takiej strony": "Page not found",
    "Tej operacji nie można tu wykonać": "This action is not available here",
    "Tej operacji nie można już wykonać": "This action can no longer be taken",
    "Zbyt wiele prób": "Too many attempts",
    "Usługa jest chwilowo niedostępna": "The service is temporarily unavailable",
    "Wystąpił błąd": "An error occurred",
    "Sprawdź adres albo wróć na stronę główną.": "Check the address or go back to the start page.",
    "Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę.": (
        "An unexpected error occurred. Please try again in a moment."
    ),
    "Jedna z usług programu nie odpowiada. Spróbuj ponownie za chwilę.": (
        "One of the programme's services does not answer. Please try again in a moment."
    ),
    "Adres lub formularz zawiera nieprawidłowe dane.": "The address or form holds invalid data.",
    "Kod błędu: {status}": "Error code: {status}",
    "Wróć na stronę główną": "Back to the start page",
    "Nie masz dostępu do tej strony.": "You have no access to this page.",
    "Formularz wygasł lub nie pochodzi z tej strony. Wróć i spróbuj ponownie.": (
        "The form has expired or did not come from this site. Go back and try again."
    ),
    "Obsługiwany jest tylko kod autoryzacji z PKCE (S256).": (
        "Only the authorization code flow with PKCE (S256) is supported."
    ),
    "Nieznany klient logowania.": "Unknown sign-in client.",
    "Niedozwolony adres powrotu po zalogowaniu.": "This return address is not allowed.",
    "Nie ma takiego użytkownika demonstracyjnego.": "There is no such demo user.",
    # a service's refusal, shown on a page
    "Nie udało się.": "That did not work.",
    "Usługa zgłosiła błąd.": "The service reported an error.",
    "Dane są nieprawidłowe.": "The data is invalid.",
    "Sesja wygasła — zaloguj się ponownie.": "Your session has expired — please sign in again.",
    "Nie masz do tego uprawnień.": "You are not allowed to do this.",
    "Nie znaleziono.": "Not found.",
    "Stan się zmienił i tej operacji nie można już wykonać.": (
        "Things have changed and this action can no longer be taken."
    ),
    "Popraw zaznaczone dane.": "Please correct the marked fields.",
    "Zbyt wiele prób — spróbuj za chwilę.": "Too many attempts — please try again shortly.",
}
