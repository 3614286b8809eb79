import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_portal_ticket_tour", {
    url: "/my",
    steps: () => [
        {
            content: "A customer without tickets still sees the Tickets entry",
            trigger: ".o_portal_index_card:not(.d-none) a[href='/my/tickets']",
            run: "click",
        },
        {
            content: "Open the new ticket form",
            trigger: "a[href='/my/tickets/new']",
            run: "click",
        },
        {
            content: "Give the request a title",
            trigger: ".o_crossdept_portal_new_ticket input[name='title']",
            // typed, not confirmed: Enter would submit the form
            run: "fill Scanner jams on page two",
        },
        {
            content: "Describe it",
            trigger: ".o_crossdept_portal_new_ticket textarea[name='description']",
            run: "fill Every scan of more than one page stops with error E42.",
        },
        {
            content: "Attach the scanner's log",
            trigger: ".o_crossdept_portal_new_ticket input[name='attachments']",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(
                    new File(["E42 paper jam at sheet 2"], "scanner-log.txt", {
                        type: "text/plain",
                    }),
                );
                this.anchor.files = transfer.files;
            },
        },
        {
            content: "Submit the request",
            trigger: ".o_crossdept_portal_new_ticket button[type='submit']",
            run: "click",
        },
        {
            content: "The ticket page shows the description",
            trigger: ".card-body:contains('error E42')",
        },
        {
            content: "The attached log is in the conversation",
            trigger: "#chatterRoot:shadow .o-mail-AttachmentCard:contains('scanner-log.txt')",
        },
        {
            content: "Write a reply",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit It also happens with the duplex tray.",
        },
        {
            content: "Send it",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The reply is in the conversation",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('duplex tray')",
        },
    ],
});
